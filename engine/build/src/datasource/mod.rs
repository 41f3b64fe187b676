//! Data sources that are not tied to a platform: `http` and kiln-app's
//! registry (`kiln-registry-version`, `kiln-registry-artifact`). (`null`
//! runs in the language layer; `amazon-ami` lives in [`crate::aws`].)

mod fetch;
pub(crate) mod http;
pub(crate) mod registry;
