/**
 * An id shown as code with a Copy button, so it can be pasted into a CLI command or a query.
 * The clipboard API needs a secure context (https or localhost); elsewhere the text stays
 * selectable and the button says it could not copy.
 */
import { useState } from 'react';

export function CopyId({ id, what = 'id' }: { id: string; what?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(id);
      setState('copied');
    } catch {
      setState('failed');
    }
  };
  return (
    <span className="copy-id">
      <code data-testid="copy-id-value">{id}</code>{' '}
      <button type="button" onClick={copy} aria-label={`Copy the ${what}`}>
        Copy
      </button>
      <span className="muted" aria-live="polite">
        {state === 'copied' ? ' copied' : state === 'failed' ? ' select and copy it by hand' : ''}
      </span>
    </span>
  );
}
