// How a drafted item and its flags read to a vet, in the UI's language (pure, tested).
import type { Flag, Item } from '../ipc/bindings'
import type { Translate } from '../shared/i18n'

const num = (n: number) => String(Math.round(n * 100) / 100)

export function describeItem(item: Item, t: Translate): string {
  switch (item.kind) {
    case 'weight':
      return t('scribe.item.weight', { kg: num(item.kg) })
    case 'temperature':
      return t('scribe.item.temperature', { celsius: num(item.celsius) })
    case 'heart_rate':
      return t('scribe.item.heart_rate', { rate: num(item.per_minute) })
    case 'respiratory_rate':
      return t('scribe.item.respiratory_rate', { rate: num(item.per_minute) })
    case 'problem':
      return t('scribe.item.problem', { text: item.text })
    case 'medication': {
      const parts = [item.drug]
      if (item.dose !== null) parts.push(`${num(item.dose)} ${item.unit ?? ''}`.trim())
      if (item.route) parts.push(item.route)
      if (item.times_per_day !== null) parts.push(t('scribe.item.per_day', { times: num(item.times_per_day) }))
      if (item.duration_days !== null) parts.push(t('scribe.item.days', { days: num(item.duration_days) }))
      return t('scribe.item.medication', { text: parts.join(', ') })
    }
    case 'signalment': {
      const parts: string[] = []
      if (item.age_years !== null) parts.push(t('scribe.item.age', { years: num(item.age_years) }))
      if (item.sex) parts.push(item.sex)
      if (item.neutered !== null) parts.push(item.neutered ? t('scribe.item.neutered') : t('scribe.item.intact'))
      return t('scribe.item.signalment', { text: parts.join(', ') })
    }
    case 'follow_up':
      return t('scribe.item.follow_up', { text: item.text })
    case 'discharge':
      return t('scribe.item.discharge', { text: item.text })
  }
}

export function describeFlag(flag: Flag, t: Translate): string {
  switch (flag.flag) {
    case 'dose_out_of_range':
      return t('scribe.flag.dose_out_of_range', { dose: num(flag.mg_per_kg), min: num(flag.min), max: num(flag.max) })
    case 'heard_as':
      return t('scribe.flag.heard_as', { heard: flag.heard })
    case 'no_weight_for_dose_check':
      return t('scribe.flag.no_weight')
    case 'no_range_for_species':
      return t('scribe.flag.no_range')
    case 'dose_not_checked':
      return t('scribe.flag.dose_not_checked', { unit: flag.unit })
  }
}

/** A flag that blocks approval unless the vet gives a reason (core's rule). */
export function needsOverride(flags: readonly Flag[]): boolean {
  return flags.some((f) => f.flag === 'dose_out_of_range')
}

/** `mm:ss` of audio time. */
export function audioTime(ms: number): string {
  const seconds = Math.floor(ms / 1000)
  return `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`
}
