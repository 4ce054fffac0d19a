/**
 * Request, response and stream-event schemas shared by the server and the web app.
 * The server validates with them and publishes them in /openapi.json.
 */
export * from './admin.ts';
export * from './auth.ts';
export * from './chat.ts';
export * from './documents.ts';
export * from './errors.ts';
export * from './health.ts';
export * from './notebook.ts';
