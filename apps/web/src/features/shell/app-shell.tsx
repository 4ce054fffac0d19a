import {
  FileText,
  LogOut,
  Menu as MenuIcon,
  MessageSquareText,
  Monitor,
  Moon,
  NotebookPen,
  Settings2,
  Sun,
} from 'lucide-react';
import { type ReactNode, useState } from 'react';
import { NavLink, Outlet, useNavigate } from 'react-router-dom';
import { Button } from '../../components/ui/button.tsx';
import { Sheet } from '../../components/ui/dialog.tsx';
import {
  Menu,
  MenuContent,
  MenuItem,
  MenuLabel,
  MenuRadioGroup,
  MenuRadioItem,
  MenuSeparator,
  MenuTrigger,
} from '../../components/ui/menu.tsx';
import { Tooltip } from '../../components/ui/tooltip.tsx';
import { cn } from '../../lib/cn.ts';
import { initials, ROLE_LABELS } from '../../lib/format.ts';
import { type ThemePreference, useTheme } from '../../lib/theme.tsx';
import { hasRole, useLogout, useUser } from '../auth/session.ts';
import { BrandMark } from './brand.tsx';

interface NavItem {
  to: string;
  label: string;
  icon: typeof FileText;
  testId: string;
}

function useNavItems(): NavItem[] {
  const user = useUser();
  const items: NavItem[] = [
    { to: '/chat', label: 'Chat', icon: MessageSquareText, testId: 'nav-chat' },
    { to: '/notebook', label: 'Notebook', icon: NotebookPen, testId: 'nav-notebook' },
  ];
  if (hasRole(user, 'content_manager'))
    items.push({ to: '/documents', label: 'Documents', icon: FileText, testId: 'nav-documents' });
  if (hasRole(user, 'super_admin'))
    items.push({ to: '/admin', label: 'Admin', icon: Settings2, testId: 'nav-admin' });
  return items;
}

const THEME_ICONS: Record<ThemePreference, typeof Sun> = { light: Sun, dark: Moon, system: Monitor };

function ThemeMenu() {
  const { preference, resolved, setPreference } = useTheme();
  const Icon = resolved === 'dark' ? Moon : Sun;
  return (
    <Menu>
      <Tooltip content="Theme">
        <MenuTrigger asChild>
          <Button variant="ghost" size="icon" aria-label="Theme" data-testid="theme-menu">
            <Icon className="size-[18px]" />
          </Button>
        </MenuTrigger>
      </Tooltip>
      <MenuContent>
        <MenuLabel>Appearance</MenuLabel>
        <MenuRadioGroup value={preference} onValueChange={(value) => setPreference(value as ThemePreference)}>
          {(['light', 'dark', 'system'] as const).map((option) => {
            const OptionIcon = THEME_ICONS[option];
            return (
              <MenuRadioItem key={option} value={option} icon={<OptionIcon />}>
                {option === 'system' ? 'System' : option === 'light' ? 'Light' : 'Dark'}
              </MenuRadioItem>
            );
          })}
        </MenuRadioGroup>
      </MenuContent>
    </Menu>
  );
}

function UserMenu() {
  const user = useUser();
  const logout = useLogout();
  const navigate = useNavigate();
  const signOut = () =>
    logout.mutate(undefined, { onSettled: () => navigate('/sign-in', { replace: true }) });
  return (
    <Menu>
      <MenuTrigger asChild>
        <button
          type="button"
          className="flex items-center gap-2 rounded-full p-0.5 pr-0.5 transition-colors hover:bg-surface-hover sm:pr-2.5"
          data-testid="user-menu"
        >
          <span
            className="flex size-8 items-center justify-center rounded-full bg-accent-soft text-xs font-semibold text-accent-soft-fg"
            aria-hidden
          >
            {initials(user.display_name)}
          </span>
          <span className="sr-only max-w-36 truncate text-sm font-medium sm:not-sr-only">
            {user.display_name}
          </span>
        </button>
      </MenuTrigger>
      <MenuContent className="w-64">
        <div className="px-2.5 py-2">
          <p className="truncate text-sm font-medium text-fg">{user.display_name}</p>
          <p className="truncate text-xs text-fg-muted">{user.email}</p>
          <p className="mt-1.5 text-xs text-fg-subtle">
            {ROLE_LABELS[user.role]}
            {user.department ? ` · ${user.department.code}` : ''}
          </p>
        </div>
        <MenuSeparator />
        <MenuItem onSelect={signOut} icon={<LogOut />} data-testid="sign-out">
          Sign out
        </MenuItem>
      </MenuContent>
    </Menu>
  );
}

function NavLinks({
  items,
  onNavigate,
  vertical = false,
}: {
  items: NavItem[];
  onNavigate?: () => void;
  vertical?: boolean;
}) {
  return (
    <nav aria-label="Main" className={cn('flex gap-1', vertical ? 'flex-col' : 'items-center')}>
      {items.map((item) => (
        <NavLink
          key={item.to}
          to={item.to}
          onClick={onNavigate}
          data-testid={item.testId}
          className={({ isActive }) =>
            cn(
              'flex items-center gap-2 rounded-lg font-medium transition-colors',
              vertical ? 'h-10 px-3 text-[15px]' : 'h-9 px-3 text-sm',
              isActive ? 'bg-surface-muted text-fg' : 'text-fg-muted hover:bg-surface-hover hover:text-fg',
            )
          }
        >
          <item.icon className="size-4" aria-hidden />
          {item.label}
        </NavLink>
      ))}
    </nav>
  );
}

/** Header with navigation, theme and account; pages render below it. */
export function AppShell() {
  const items = useNavItems();
  const [isMenuOpen, setIsMenuOpen] = useState(false);
  return (
    <div className="flex h-dvh flex-col">
      <a
        href="#main"
        className="sr-only z-50 rounded-lg bg-surface px-3 py-2 text-sm font-medium shadow-pop focus:not-sr-only focus:fixed focus:top-2 focus:left-2"
      >
        Skip to content
      </a>
      <header className="z-30 flex h-14 shrink-0 items-center gap-3 border-b border-line bg-surface/85 px-3 backdrop-blur-md sm:px-5">
        <Button
          variant="ghost"
          size="icon"
          className="md:hidden"
          aria-label="Open menu"
          onClick={() => setIsMenuOpen(true)}
          data-testid="open-nav"
        >
          <MenuIcon className="size-5" />
        </Button>
        <NavLink to="/chat" className="flex items-center gap-2 rounded-lg pr-2" aria-label="Nexus home">
          <BrandMark />
          <span className="text-[15px] font-semibold tracking-tight">Nexus</span>
        </NavLink>
        <div className="ml-4 hidden md:block">
          <NavLinks items={items} />
        </div>
        <div className="ml-auto flex items-center gap-1.5">
          <ThemeMenu />
          <UserMenu />
        </div>
      </header>
      <Sheet open={isMenuOpen} onOpenChange={setIsMenuOpen} title="Menu">
        <div className="flex h-14 items-center gap-2 border-b border-line px-4">
          <BrandMark />
          <span className="font-semibold">Nexus</span>
        </div>
        <div className="p-3">
          <NavLinks items={items} vertical onNavigate={() => setIsMenuOpen(false)} />
        </div>
      </Sheet>
      <main id="main" className="min-h-0 flex-1" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}

/** A scrolling page with the standard width and padding. */
export function Page({
  children,
  className,
  ...props
}: {
  children: ReactNode;
  className?: string;
  'data-testid'?: string;
}) {
  return (
    <div className="h-full overflow-y-auto">
      <div
        className={cn('mx-auto w-full max-w-6xl space-y-6 px-4 py-6 sm:px-6 sm:py-8 lg:px-8', className)}
        {...props}
      >
        {children}
      </div>
    </div>
  );
}
