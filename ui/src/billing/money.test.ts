// The billing views' number formatting, against core's own rules.
import { describe, expect, it } from 'vitest'
import { formatCents, formatMilli, formatPercent } from './money'

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
})
