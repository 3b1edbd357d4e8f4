/**
 * What a run's curves are drawn against: the step, the wall-clock time, or seconds since the
 * first point. The choice is the URL's `x` param, so a reload or a shared link keeps it.
 */
import { setParams, useRoute } from '../router';

export type XAxis = 'step' | 'wall' | 'relative';
export const X_LABELS: Record<XAxis, string> = { step: 'epoch', wall: 'wall time', relative: 'seconds since start' };
const isXAxis = (v: string | null): v is XAxis => v != null && v in X_LABELS;

/** The current x axis (step when the URL names none or an unknown one) and a setter. */
export function useXAxis(): [XAxis, (x: XAxis) => void] {
  const v = useRoute().params.get('x');
  return [isXAxis(v) ? v : 'step', (x) => setParams({ x: x === 'step' ? null : x })];
}

export function XAxisSelect({ value, onChange }: { value: XAxis; onChange: (x: XAxis) => void }) {
  return (
    <div className="toolbar">
      <label className="inline">
        Curves' x axis
        <select value={value} onChange={(e) => isXAxis(e.target.value) && onChange(e.target.value)} data-testid="x-axis">
          <option value="step">Step</option>
          <option value="wall">Wall time</option>
          <option value="relative">Relative time</option>
        </select>
      </label>
    </div>
  );
}
