// The idle lock of a shared workstation: after the session's idle time without a key
// press, click or pointer movement, the UI signs out (Rust refuses idle sessions too).
import { useEffect, useRef } from 'react'

/** Calls `onIdle` after `seconds` without a key press, click or pointer movement. */
export function useIdleLock(seconds: number, onIdle: () => void) {
  const latest = useRef(onIdle)
  useEffect(() => {
    latest.current = onIdle
  }, [onIdle])
  useEffect(() => {
    let timer = window.setTimeout(() => latest.current(), seconds * 1000)
    const reset = () => {
      window.clearTimeout(timer)
      timer = window.setTimeout(() => latest.current(), seconds * 1000)
    }
    const events = ['keydown', 'mousedown', 'pointermove', 'wheel', 'touchstart'] as const
    for (const name of events) window.addEventListener(name, reset, { passive: true })
    return () => {
      window.clearTimeout(timer)
      for (const name of events) window.removeEventListener(name, reset)
    }
  }, [seconds])
}
