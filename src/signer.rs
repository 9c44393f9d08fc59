//! Signing: key + chain -> envelope -> signature manifest, pushed through a Target.
