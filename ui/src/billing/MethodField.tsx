// How money changes hands — card, cash or transfer — as one labelled choice, for a
// payment, a refund and each part of a counter sale's split payment.
import { useT } from '../shared/i18n'
import type { MessageKey } from '../shared/locales/en'

const METHODS = ['card', 'cash', 'transfer'] as const

export function MethodField({ value, onChange, testId }: { value: string; onChange: (method: string) => void; testId: string }) {
  const t = useT()
  return (
    <label>
      {t('billing.method')}
      <select value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId}>
        {METHODS.map((m) => (
          <option key={m} value={m}>
            {t(`billing.method.${m}` as MessageKey)}
          </option>
        ))}
      </select>
    </label>
  )
}
