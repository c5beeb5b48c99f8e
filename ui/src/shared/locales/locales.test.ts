// Every language has exactly English's keys, the same {placeholders} in each message,
// and no empty message.
import { describe, expect, it } from 'vitest'
import { LANGUAGES, format } from '../i18n'
import { en } from './en'

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()

describe('locales', () => {
  for (const language of LANGUAGES) {
    it(`${language.name} is complete`, () => {
      expect(Object.keys(language.messages).sort()).toEqual(Object.keys(en).sort())
      for (const [key, english] of Object.entries(en)) {
        const message = language.messages[key as keyof typeof en]
        expect(message.trim(), key).not.toBe('')
        expect(placeholders(message), key).toEqual(placeholders(english))
      }
    })
  }

  it('fills placeholders and leaves unknown ones visible', () => {
    expect(format('Signed in: {name}', { name: 'Ann' })).toBe('Signed in: Ann')
    expect(format('{count} changes waiting', { count: 3 })).toBe('3 changes waiting')
    expect(format('last synced {time}', {})).toBe('last synced {time}')
  })
})
