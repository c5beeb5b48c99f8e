// Form pieces shared by the views: labelled inputs that show core's validation message
// beside the field it names (`IpcError.field`), and a readable error line built from an
// error's `{code, message}` — a translated title for the code, Rust's message after it.
import type { ReactNode } from 'react'
import type { IpcError } from '../ipc/bindings'
import { useT } from './i18n'
import { errorFor } from './formErrors'
import type { MessageKey } from './locales/en'

export function ErrorText({ error, id }: { error: IpcError; id?: string }) {
  const t = useT()
  return (
    <p className="error-message" role="alert" id={id} data-error-code={error.code} data-field={error.field}>
      <strong>{t(`error.code.${error.code}` as MessageKey)}:</strong> {error.message}
    </p>
  )
}

interface FieldProps {
  name: string
  label: string
  error: IpcError | null
  children?: ReactNode
}

function Field({ name, label, error, children }: FieldProps) {
  const own = errorFor(error, name)
  return (
    <div className={own ? 'field invalid' : 'field'}>
      <label htmlFor={`field-${name}`}>{label}</label>
      {children}
      {own && <ErrorText id={`field-${name}-error`} error={own} />}
    </div>
  )
}

export function TextField({
  name,
  label,
  value,
  onChange,
  error,
  type = 'text',
  multiline = false,
  autoFocus = false,
  placeholder,
}: {
  name: string
  label: string
  value: string
  onChange: (value: string) => void
  error: IpcError | null
  type?: 'text' | 'email' | 'tel' | 'date' | 'password' | 'url'
  multiline?: boolean
  autoFocus?: boolean
  placeholder?: string
}) {
  const own = errorFor(error, name)
  const common = {
    id: `field-${name}`,
    name,
    value,
    autoFocus,
    placeholder,
    'aria-invalid': own ? true : undefined,
    'aria-describedby': own ? `field-${name}-error` : undefined,
  }
  return (
    <Field name={name} label={label} error={error}>
      {multiline ? (
        <textarea {...common} rows={3} onChange={(e) => onChange(e.target.value)} />
      ) : (
        <input {...common} type={type} onChange={(e) => onChange(e.target.value)} />
      )}
    </Field>
  )
}

export function SelectField({
  name,
  label,
  value,
  options,
  onChange,
  error,
  placeholder,
}: {
  name: string
  label: string
  value: string
  options: readonly { value: string; label: string }[]
  onChange: (value: string) => void
  error: IpcError | null
  placeholder?: string
}) {
  const own = errorFor(error, name)
  return (
    <Field name={name} label={label} error={error}>
      <select
        id={`field-${name}`}
        name={name}
        value={value}
        aria-invalid={own ? true : undefined}
        aria-describedby={own ? `field-${name}-error` : undefined}
        onChange={(e) => onChange(e.target.value)}
      >
        {placeholder !== undefined && <option value="">{placeholder}</option>}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </Field>
  )
}

export function CheckField({
  name,
  label,
  checked,
  onChange,
}: {
  name: string
  label: string
  checked: boolean
  onChange: (checked: boolean) => void
}) {
  return (
    <div className="field check">
      <input id={`field-${name}`} name={name} type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} />
      <label htmlFor={`field-${name}`}>{label}</label>
    </div>
  )
}
