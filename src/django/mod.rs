//! The Django layer: the project, its settings as static analysis sees
//! them, and the versions of the packages the checks depend on.

pub mod defaults;
pub mod dotenv;
pub mod project;
pub mod requirements;
pub mod rules;
pub mod settings;
pub mod value;
pub mod versions;
