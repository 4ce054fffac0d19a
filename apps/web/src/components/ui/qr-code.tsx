import { encode } from 'uqr';

/**
 * A QR code drawn as SVG from the encoded module matrix: no images, no injected markup,
 * so it works under the app's strict CSP. Dark modules on a white quiet zone in both themes
 * (scanners need the contrast).
 */
export function QrCode({ value, label, size = 176 }: { value: string; label: string; size?: number }) {
  const { data, size: modules } = encode(value, { ecc: 'M', border: 2 });
  const path = data
    .flatMap((row, y) => row.map((isDark, x) => (isDark ? `M${x} ${y}h1v1h-1z` : '')))
    .join('');
  return (
    <svg
      role="img"
      aria-label={label}
      width={size}
      height={size}
      viewBox={`0 0 ${modules} ${modules}`}
      shapeRendering="crispEdges"
      className="rounded-md"
      data-testid="qr-code"
    >
      <rect width={modules} height={modules} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}
