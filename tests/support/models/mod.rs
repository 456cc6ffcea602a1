//! Loopback stand-ins for the model APIs the real agent CLIs speak, so the
//! real-agent suite runs offline and scripts what the "model" does.

pub mod anthropic;
pub mod gemini;
pub mod openai;
