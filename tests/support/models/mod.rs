//! Loopback stand-ins for the model APIs the real agent CLIs speak, so the
//! real-agent suite runs offline with scripted answers.

pub mod gemini;
