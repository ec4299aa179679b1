//! SPF (RFC 7208): record syntax, `check_host()` evaluation and lint.
