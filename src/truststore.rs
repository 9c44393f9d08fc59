//! The on-disk x509 trust store: `{NOTATION_CONFIG}/truststore/x509/{type}/{name}/`.
