// Light, dark, or as the system says: kept per workstation in localStorage and applied
// as `data-theme` on <html>, which styles.css reads.
import { useEffect, useState } from 'react'

export const THEMES = ['system', 'light', 'dark'] as const
export type Theme = (typeof THEMES)[number]

const STORAGE_KEY = 'vetdesk.theme'

function storedTheme(): Theme {
  try {
    const stored = window.localStorage.getItem(STORAGE_KEY)
    return THEMES.find((t) => t === stored) ?? 'system'
  } catch {
    return 'system'
  }
}

export function useTheme(): [Theme, (theme: Theme) => void] {
  const [theme, setTheme] = useState<Theme>(storedTheme)
  useEffect(() => {
    document.documentElement.dataset.theme = theme
    try {
      window.localStorage.setItem(STORAGE_KEY, theme)
    } catch {
      // Kept until restart.
    }
  }, [theme])
  return [theme, setTheme]
}

/** Applies the stored theme before the first render (no flash of the wrong one). */
export function applyStoredTheme() {
  document.documentElement.dataset.theme = storedTheme()
}
