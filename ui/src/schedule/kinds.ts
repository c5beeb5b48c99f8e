// The appointment kinds core knows (`services::schedule::KINDS`), in the order the
// booking form and the appointment type form offer them.
export const KINDS = ['consultation', 'vaccination', 'follow_up', 'surgery', 'dental', 'emergency', 'other'] as const
