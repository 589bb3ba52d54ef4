//! Maintenance: pip-audit in the requirements, in CI and run, logrotate
//! coverage of the site's logs, and the log review assistant. Each part is a
//! library over plain inputs (paths on this machine, lists of log files);
//! the probes decide which paths those are.

pub mod ci;
pub mod logrotate;
pub mod logs;
pub mod pip_audit;
pub mod requirements;
