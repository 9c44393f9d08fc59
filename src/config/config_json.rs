//! `{NOTATION_CONFIG}/config.json`: signature format, insecure registries, credential stores.
