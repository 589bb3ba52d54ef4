//! portcullis: walks an operator through hardening a Django site served by
//! Apache. The library holds everything but the command line: the checklist
//! model, the engine that runs probes and fixes, and the reporters.

pub mod apache;
pub mod checklist;
pub mod demo;
pub mod django;
pub mod dpkg;
pub mod engine;
pub mod finding;
pub mod fix;
pub mod layers;
pub mod live;
pub mod maint;
pub mod probe;
pub mod redact;
pub mod report;
pub mod session;
pub mod state;
pub mod target;
pub mod tui;
