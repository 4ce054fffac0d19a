import { AlertTriangle, CheckCircle2, Info, XCircle } from 'lucide-react';
import type { ReactNode } from 'react';
import { cn } from '../../lib/cn.ts';

type AlertTone = 'info' | 'success' | 'warning' | 'danger';

const STYLES: Record<AlertTone, { box: string; icon: typeof Info }> = {
  info: { box: 'bg-accent-soft text-accent-soft-fg border-accent/20', icon: Info },
  success: { box: 'bg-success-soft text-success border-success/20', icon: CheckCircle2 },
  warning: { box: 'bg-warning-soft text-warning border-warning/25', icon: AlertTriangle },
  danger: { box: 'bg-danger-soft text-danger border-danger/25', icon: XCircle },
};

export function Alert({
  tone = 'info',
  title,
  children,
  action,
  className,
  ...props
}: {
  tone?: AlertTone;
  title?: ReactNode;
  children?: ReactNode;
  action?: ReactNode;
  className?: string;
  'data-testid'?: string;
}) {
  const { box, icon: Icon } = STYLES[tone];
  return (
    <div
      role={tone === 'danger' || tone === 'warning' ? 'alert' : 'status'}
      className={cn('flex items-start gap-3 rounded-xl border px-3.5 py-3 text-sm', box, className)}
      {...props}
    >
      <Icon className="mt-0.5 size-4 shrink-0" aria-hidden />
      <div className="min-w-0 flex-1 space-y-0.5">
        {title ? <p className="font-semibold">{title}</p> : null}
        {children ? <div className="text-fg-muted [&_strong]:text-fg">{children}</div> : null}
      </div>
      {action ? <div className="shrink-0 self-center">{action}</div> : null}
    </div>
  );
}
