//! X.509 helpers: certificate files, names as Go prints them, chain rules.
