//! `{NOTATION_CONFIG}/signingkeys.json`: named signing keys and the default one.
