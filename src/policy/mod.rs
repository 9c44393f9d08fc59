//! Trust policy documents (OCI and blob): parse, validate, select by scope.
