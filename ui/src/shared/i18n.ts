// The UI's languages: the list the Settings view offers, `translator` and `useT()` to
// translate a key with `{values}`, and the context `LanguageProvider` fills with the
// chosen one (kept in localStorage, so a workstation keeps its language).
import { createContext, useContext } from 'react'
import { en, type MessageKey, type Messages } from './locales/en'
import { uk } from './locales/uk'

export type Language = 'en' | 'uk'

export const LANGUAGES: readonly { id: Language; name: string; messages: Messages }[] = [
  { id: 'en', name: 'English', messages: en },
  { id: 'uk', name: 'Українська', messages: uk },
]

export const LANGUAGE_STORAGE_KEY = 'vetdesk.language'

export type Translate = (key: MessageKey, values?: Record<string, string | number>) => string

/** Fills `{name}` placeholders; an unknown placeholder stays visible rather than vanish. */
export function format(template: string, values?: Record<string, string | number>): string {
  if (!values) return template
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  )
}

export function translator(language: Language): Translate {
  const messages = LANGUAGES.find((l) => l.id === language)?.messages ?? en
  // A key made at run time that no language has (a new column name) shows as itself.
  return (key, values) => format(messages[key] ?? en[key] ?? key, values)
}

export interface LanguageState {
  language: Language
  setLanguage: (language: Language) => void
  t: Translate
}

export const LanguageContext = createContext<LanguageState>({
  language: 'en',
  setLanguage: () => {},
  t: translator('en'),
})

export function storedLanguage(): Language {
  try {
    const stored = window.localStorage.getItem(LANGUAGE_STORAGE_KEY)
    return LANGUAGES.some((l) => l.id === stored) ? (stored as Language) : 'en'
  } catch {
    return 'en'
  }
}

export function useLanguage(): LanguageState {
  return useContext(LanguageContext)
}

export function useT(): Translate {
  return useContext(LanguageContext).t
}
