/** Small form controls shared by the filter bars and editors: a labelled text field, a removable chip. */
import type { ReactNode } from 'react';

export function TextField({ label, value, onChange, size, testId }: { label: string; value: string; onChange: (v: string) => void; size?: number; testId?: string }) {
  return (
    <label>
      {label}
      <input value={value} onChange={(e) => onChange(e.target.value)} size={size} data-testid={testId} />
    </label>
  );
}

/** A chip with a × button; `removeLabel` names what the button removes, for screen readers. */
export function RemovableChip({ children, onRemove, removeLabel, testId, disabled }: { children: ReactNode; onRemove: () => void; removeLabel: string; testId?: string; disabled?: boolean }) {
  return (
    <span className="chip" data-testid={testId}>
      {children}
      <button type="button" onClick={onRemove} aria-label={removeLabel} disabled={disabled}>
        ×
      </button>
    </span>
  );
}
