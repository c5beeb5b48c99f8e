// The billing views' number formatting, against core's own rules.
import { describe, expect, it } from 'vitest'
import { formatCents, formatMilli, formatMoney, formatPercent } from './money'

describe('money formatting', () => {
  it('writes cents, thousandths and basis points as people read them', () => {
    expect(formatCents(123450)).toBe('1234.50')
    expect(formatCents(-5)).toBe('-0.05')
    expect(formatCents(0)).toBe('0.00')
    expect(formatMilli(2500)).toBe('2.5')
    expect(formatMilli(1000)).toBe('1')
    expect(formatMilli(-125)).toBe('-0.125')
    expect(formatPercent(2000)).toBe('20%')
    expect(formatPercent(1250)).toBe('12.5%')
    expect(formatPercent(505)).toBe('5.05%')
  })

  it('writes amounts with the clinic currency sign, as the documents do', () => {
    expect(formatMoney(1250, 'GBP')).toBe('£12.50')
    expect(formatMoney(-5, 'GBP')).toBe('-£0.05')
    expect(formatMoney(4999, 'UAH')).toBe('₴49.99')
    expect(formatMoney(100000, 'EUR')).toBe('€1000.00')
    expect(formatMoney(300, 'CHF')).toBe('CHF 3.00')
    expect(formatMoney(300, undefined)).toBe('3.00')
  })
})
