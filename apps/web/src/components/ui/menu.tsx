import * as DropdownMenu from '@radix-ui/react-dropdown-menu';
import type { ReactNode } from 'react';
import { cn } from '../../lib/cn.ts';

export const Menu = DropdownMenu.Root;
export const MenuTrigger = DropdownMenu.Trigger;

export function MenuContent({
  children,
  align = 'end',
  className,
}: {
  children: ReactNode;
  align?: 'start' | 'end' | 'center';
  className?: string;
}) {
  return (
    <DropdownMenu.Portal>
      <DropdownMenu.Content
        align={align}
        sideOffset={6}
        className={cn(
          'z-50 min-w-44 rounded-xl border border-line bg-surface p-1 text-sm shadow-pop animate-pop-in',
          className,
        )}
      >
        {children}
      </DropdownMenu.Content>
    </DropdownMenu.Portal>
  );
}

export function MenuItem({
  children,
  onSelect,
  tone = 'default',
  icon,
  ...props
}: {
  children: ReactNode;
  onSelect?: () => void;
  tone?: 'default' | 'danger';
  icon?: ReactNode;
  'data-testid'?: string;
}) {
  return (
    <DropdownMenu.Item
      onSelect={onSelect}
      className={cn(
        'flex h-8 cursor-pointer items-center gap-2.5 rounded-lg px-2.5 outline-none select-none data-[highlighted]:bg-surface-hover [&_svg]:size-4',
        tone === 'danger' ? 'text-danger' : 'text-fg',
      )}
      {...props}
    >
      {icon}
      {children}
    </DropdownMenu.Item>
  );
}

export function MenuRadioGroup({
  value,
  onValueChange,
  children,
}: {
  value: string;
  onValueChange: (value: string) => void;
  children: ReactNode;
}) {
  return (
    <DropdownMenu.RadioGroup value={value} onValueChange={onValueChange}>
      {children}
    </DropdownMenu.RadioGroup>
  );
}

export function MenuRadioItem({
  value,
  children,
  icon,
}: {
  value: string;
  children: ReactNode;
  icon?: ReactNode;
}) {
  return (
    <DropdownMenu.RadioItem
      value={value}
      className="flex h-8 cursor-pointer items-center gap-2.5 rounded-lg px-2.5 text-fg outline-none select-none data-[highlighted]:bg-surface-hover data-[state=checked]:font-medium data-[state=checked]:text-accent [&_svg]:size-4"
    >
      {icon}
      <span className="flex-1">{children}</span>
      <DropdownMenu.ItemIndicator>
        <span className="size-1.5 rounded-full bg-accent block" aria-hidden />
      </DropdownMenu.ItemIndicator>
    </DropdownMenu.RadioItem>
  );
}

export function MenuLabel({ children }: { children: ReactNode }) {
  return (
    <DropdownMenu.Label className="px-2.5 pt-1.5 pb-1 text-xs font-medium text-fg-subtle">
      {children}
    </DropdownMenu.Label>
  );
}

export function MenuSeparator() {
  return <DropdownMenu.Separator className="my-1 h-px bg-line" />;
}
