// Vitest set-up for every UI test: Testing Library's async queries wait up to 5 s
// instead of 1 s, because CI's 2-core machine, busy with Rust builds, was seen taking
// just over a second for a first render (a missing element still fails the test).
import { configure } from '@testing-library/react'

configure({ asyncUtilTimeout: 5000 })
