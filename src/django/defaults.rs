//! The values a setting takes when the settings never assign it: Django's
//! `global_settings` (6.1, domain-facts §1) and the django-axes settings the
//! checklist reads (`axes/conf.py`, 8.3.1).

use super::value::PyValue;

fn s(text: &str) -> PyValue {
    PyValue::Str(text.to_owned())
}

/// The default of `name`, or `None` when neither Django nor django-axes
/// defines one that the checks rely on.
pub fn default_of(name: &str) -> Option<PyValue> {
    let value = match name {
        "DEBUG"
        | "SECURE_HSTS_INCLUDE_SUBDOMAINS"
        | "SECURE_HSTS_PRELOAD"
        | "SECURE_SSL_REDIRECT"
        | "SESSION_COOKIE_SECURE"
        | "CSRF_COOKIE_SECURE"
        | "CSRF_COOKIE_HTTPONLY"
        | "CSRF_USE_SESSIONS"
        | "AXES_RESET_ON_SUCCESS" => PyValue::Bool(false),
        "SECURE_CONTENT_TYPE_NOSNIFF" | "SESSION_COOKIE_HTTPONLY" | "AXES_ENABLED" => {
            PyValue::Bool(true)
        }
        "ALLOWED_HOSTS"
        | "SECRET_KEY_FALLBACKS"
        | "SECURE_REDIRECT_EXEMPT"
        | "CSRF_TRUSTED_ORIGINS"
        | "MIDDLEWARE"
        | "INSTALLED_APPS"
        | "SILENCED_SYSTEM_CHECKS" => PyValue::List(Vec::new()),
        "SECRET_KEY" => s(""),
        "X_FRAME_OPTIONS" => s("DENY"),
        "SECURE_REFERRER_POLICY" | "SECURE_CROSS_ORIGIN_OPENER_POLICY" => s("same-origin"),
        "SECURE_HSTS_SECONDS" => PyValue::Int(0),
        "SECURE_SSL_HOST" | "SECURE_PROXY_SSL_HEADER" | "AXES_COOLOFF_TIME" => PyValue::None,
        "SESSION_COOKIE_SAMESITE" | "CSRF_COOKIE_SAMESITE" => s("Lax"),
        "SESSION_COOKIE_AGE" => PyValue::Int(1_209_600),
        // 6.0 and later; the CSP checks decide by the installed version.
        "SECURE_CSP" | "SECURE_CSP_REPORT_ONLY" => PyValue::Dict(Vec::new()),
        "AUTHENTICATION_BACKENDS" => {
            PyValue::List(vec![s("django.contrib.auth.backends.ModelBackend")])
        }
        "AXES_FAILURE_LIMIT" => PyValue::Int(3),
        _ => return None,
    };
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_global_settings() {
        assert_eq!(default_of("DEBUG"), Some(PyValue::Bool(false)));
        assert_eq!(default_of("X_FRAME_OPTIONS"), Some(s("DENY")));
        assert_eq!(default_of("SECURE_CONTENT_TYPE_NOSNIFF"), Some(PyValue::Bool(true)));
        assert_eq!(default_of("AXES_COOLOFF_TIME"), Some(PyValue::None));
        assert_eq!(default_of("AXES_FAILURE_LIMIT"), Some(PyValue::Int(3)));
        assert_eq!(default_of("DATABASES"), None);
    }
}
