/** The admin area, loaded as one chunk when a super admin first opens it. */
export { AdminLayout } from './admin-layout.tsx';
export { ApiKeysPage } from './api-keys-page.tsx';
export { AuditLogPage } from './audit-log-page.tsx';
export { OrganisationPage } from './organisation-page.tsx';
export { UsersPage } from './users-page.tsx';
