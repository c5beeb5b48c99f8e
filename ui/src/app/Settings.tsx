// Settings (Alt+8): this workstation's language and theme, and what the store is — the
// clinic, this device, where the data lives, its schema and encryption, the app version.
import type { AppStatus } from '../ipc/bindings'
import { LANGUAGES, useLanguage, useT, type Language } from '../shared/i18n'
import { THEMES, useTheme, type Theme } from '../shared/theme'

export function Settings({ status }: { status: AppStatus }) {
  const t = useT()
  const { language, setLanguage } = useLanguage()
  const [theme, setTheme] = useTheme()
  const rows: [string, string][] = [
    [t('settings.clinic'), status.clinic_name],
    [t('settings.clinic_id'), status.clinic_id],
    [t('settings.device'), status.device_id],
    [t('settings.data_dir'), status.data_dir],
    [t('settings.schema'), String(status.schema_version)],
    [t('settings.encryption'), `SQLCipher ${status.cipher_version}`],
    [t('settings.key_kept_in'), status.key_protection === 'os_keyring' ? t('settings.key_in_keyring') : t('settings.key_in_file')],
    [t('settings.version'), status.app_version],
  ]
  return (
    <>
      <div className="preferences">
        <label htmlFor="language">{t('settings.language')}</label>
        <select id="language" value={language} onChange={(e) => setLanguage(e.target.value as Language)}>
          {LANGUAGES.map((l) => (
            <option key={l.id} value={l.id}>
              {l.name}
            </option>
          ))}
        </select>
        <label htmlFor="theme">{t('settings.theme')}</label>
        <select id="theme" value={theme} onChange={(e) => setTheme(e.target.value as Theme)}>
          {THEMES.map((id) => (
            <option key={id} value={id}>
              {t(`settings.theme.${id}`)}
            </option>
          ))}
        </select>
      </div>
      <dl className="details" data-testid="store-details">
        {rows.map(([term, value]) => (
          <div key={term}>
            <dt>{term}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </>
  )
}
