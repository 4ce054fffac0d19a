// Applies the saved or system theme before the app renders, so the page never flashes
// the wrong colours. Kept as a file (not inline) so the CSP can forbid inline scripts.
(() => {
  let preference = 'system';
  try {
    preference = localStorage.getItem('nexus-theme') || 'system';
  } catch {}
  const isDark =
    preference === 'dark' ||
    (preference === 'system' && window.matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.classList.toggle('dark', isDark);
  document.documentElement.style.colorScheme = isDark ? 'dark' : 'light';
})();
