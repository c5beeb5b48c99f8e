// Money and quantities as core keeps them — integer cents and thousandths of a unit —
// written the way people read them. Pure, for the billing and inventory views.

/** 123450 → "1234.50"; −5 → "-0.05". */
export function formatCents(cents: number): string {
  const sign = cents < 0 ? '-' : ''
  const abs = Math.abs(cents)
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`
}

/** 2500 → "2.5"; 1000 → "1"; −125 → "-0.125". */
export function formatMilli(milli: number): string {
  const sign = milli < 0 ? '-' : ''
  const abs = Math.abs(milli)
  const fraction = String(abs % 1000).padStart(3, '0').replace(/0+$/, '')
  return `${sign}${Math.floor(abs / 1000)}${fraction ? `.${fraction}` : ''}`
}

/** Basis points as a percentage: 2000 → "20%", 1250 → "12.5%". */
export function formatPercent(bp: number): string {
  const whole = Math.floor(bp / 100)
  const rest = bp % 100
  return rest === 0 ? `${whole}%` : `${whole}.${String(rest).padStart(2, '0').replace(/0$/, '')}%`
}

/** The sign a clinic's ISO 4217 currency is written with: `GBP` → "£", `UAH` → "₴". */
export function currencySign(code: string): string {
  try {
    const parts = new Intl.NumberFormat('en', { style: 'currency', currency: code, currencyDisplay: 'narrowSymbol' }).formatToParts(0)
    return parts.find((p) => p.type === 'currency')?.value ?? code
  } catch {
    return code
  }
}

/**
 * An amount in cents with its currency's sign, as documents write it: 1250 GBP →
 * "£12.50", −5 → "-£0.05", a sign of letters spaced ("CHF 3.00"). No currency known
 * (yet): the bare amount.
 */
export function formatMoney(cents: number, currency: string | undefined): string {
  if (!currency) return formatCents(cents)
  const sign = cents < 0 ? '-' : ''
  const symbol = currencySign(currency)
  const gap = /^[A-Za-z]+$/.test(symbol) ? ' ' : ''
  return `${sign}${symbol}${gap}${formatCents(Math.abs(cents))}`
}
