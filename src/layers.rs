//! What a run learns about each layer of the target before the checks start:
//! the Django project and its settings, (later) the Apache configuration.
//! A layer the target does not have makes its items `unknown` with the
//! reason; naming one explicitly that is not there is an input error.

use crate::django::rules::DjangoFacts;
use crate::probe::RunOptions;
use crate::target::Target;

/// A mistake in what the operator asked for: a path that is not there, a
/// file that cannot be parsed. Shown on one line with the way out; exit 2.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct InputError {
    pub message: String,
}

impl InputError {
    pub fn new(message: impl Into<String>) -> Self {
        InputError { message: message.into() }
    }
}

/// The layers of one target, as far as they exist.
pub struct Layers {
    django: Result<DjangoFacts, String>,
}

impl Layers {
    /// Learns what the target has. Fast: static analysis only, unless the
    /// options allow running the project's Python.
    pub fn load(target: &Target, options: RunOptions) -> Result<Layers, InputError> {
        let django = crate::django::rules::load_facts(target, options)?;
        Ok(Layers { django })
    }

    /// The Django facts, or why there are none.
    pub fn django(&self) -> Result<&DjangoFacts, &String> {
        self.django.as_ref()
    }
}
