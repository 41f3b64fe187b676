//! The provision hook a builder calls with its machine ready: runs the
//! build's provisioners in order (with `pause_before`, `timeout`,
//! `max_retries`, `-on-error=ask` retries and `-debug` pauses), each
//! created from its configuration with the `build.*` placeholders
//! replaced by the builder's generated data.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::OnError;
use kiln_lang::duration;
use kiln_lang::generated::substitute_body;
use kiln_lang::template::model::{Component, ProvisionerDef, Reevaluate};
use kiln_sdk::builder::ProvisionHook;
use kiln_sdk::communicator::{Communicator, GeneratedData};
use kiln_sdk::prompt::{ask_on_error, debug_pause, AskAnswer, Prompter};
use kiln_sdk::provisioner::ProvisionContext;
use kiln_sdk::{human_duration, BuildError, CancelToken, ConfigError, Ui};

/// What the hook saw, for the steps after the builder returns (the
/// error-cleanup provisioner, post-processors, `-on-error=ask`).
#[derive(Debug, Default)]
pub(super) struct HookState {
    /// The generated data of the last `provision` call (`None`: the
    /// builder never provisioned).
    pub generated: Option<GeneratedData>,
    pub communicator: Option<Arc<dyn Communicator>>,
    /// The user's answer to `-on-error=ask` for a failed provisioner.
    pub decision: Option<AskAnswer>,
}

/// Settings of one build the hook and the runner share.
#[derive(Clone)]
pub(super) struct StepEnv<'a> {
    pub ui: &'a Ui,
    pub cancel: &'a CancelToken,
    pub cwd: &'a std::path::Path,
    pub build_name: &'a str,
    pub builder_type: &'a str,
    pub run_uuid: &'a str,
    pub on_error: OnError,
    pub debug: bool,
    pub prompter: Option<&'a dyn Prompter>,
}

impl<'a> StepEnv<'a> {
    pub fn provision_ctx(
        &self,
        communicator: Option<Arc<dyn Communicator>>,
        generated: GeneratedData,
    ) -> ProvisionContext<'a> {
        ProvisionContext {
            ui: self.ui,
            cancel: self.cancel,
            cwd: self.cwd,
            build_name: self.build_name,
            builder_type: self.builder_type,
            run_uuid: self.run_uuid,
            communicator,
            generated,
        }
    }

    /// The generated data with the run's values every build has.
    pub fn complete(&self, mut generated: GeneratedData) -> GeneratedData {
        generated
            .entry("PackerRunUUID".to_string())
            .or_insert_with(|| self.run_uuid.to_string());
        generated
    }

    /// `c` as it runs: evaluated again with the builder's values when it
    /// can be (HCL2), then every remaining `build.*` placeholder replaced.
    pub fn prepared(
        &self,
        c: &Component,
        reevaluate: Option<&Reevaluate>,
        generated: &GeneratedData,
    ) -> Result<Component, BuildError> {
        prepare(c, reevaluate, generated, self.builder_type)
    }

    /// `c` with every `build.*` placeholder replaced.
    pub fn substituted(
        &self,
        c: &Component,
        generated: &GeneratedData,
    ) -> Result<Component, BuildError> {
        let mut out = c.clone();
        substitute_body(&mut out.config, generated, self.builder_type, "")
            .map_err(|e| BuildError::config(format!("{}: {e}", c.context)))?;
        Ok(out)
    }

    pub async fn pause(&self, location: &str, step: &str) {
        if let (true, Some(p)) = (self.debug, self.prompter) {
            debug_pause(p, self.ui, location, step).await;
        }
    }
}

/// Packer's name for the provisioning step (`-on-error=ask`, `-debug`).
pub(super) const PROVISION_STEP: &str = "StepProvision";

/// The name of a step in `-debug` pauses and `-on-error=ask`.
pub(super) fn step_name(c: &Component) -> String {
    format!("{} {}", c.kind.noun(), c.type_name)
}

/// See [`StepEnv::prepared`].
fn prepare(
    c: &Component,
    reevaluate: Option<&Reevaluate>,
    generated: &GeneratedData,
    builder_type: &str,
) -> Result<Component, BuildError> {
    let mut out = c.clone();
    if let Some(r) = reevaluate {
        out.config = r
            .call(generated)
            .map_err(|e| BuildError::config(format!("{}: {e}", c.context)))?;
    }
    substitute_body(&mut out.config, generated, builder_type, "")
        .map_err(|e| BuildError::config(format!("{}: {e}", c.context)))?;
    Ok(out)
}

pub(super) struct Hook<'a> {
    pub provisioners: &'a [ProvisionerDef],
    /// Aligned with `provisioners` (may be shorter: no re-evaluation).
    pub reevaluate: &'a [Option<Reevaluate>],
    pub env: StepEnv<'a>,
    pub state: Mutex<HookState>,
}

impl Hook<'_> {
    fn state(&self) -> std::sync::MutexGuard<'_, HookState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn take_state(&self) -> HookState {
        std::mem::take(&mut *self.state())
    }
}

/// Run one provisioner: create it from its substituted configuration,
/// honour `pause_before`, `timeout` and `max_retries`.
pub(super) async fn run_provisioner(
    def: &ProvisionerDef,
    reevaluate: Option<&Reevaluate>,
    ctx: &ProvisionContext<'_>,
) -> Result<(), BuildError> {
    let component = prepare(&def.component, reevaluate, &ctx.generated, ctx.builder_type)?;
    tracing::debug!(
        provisioner = %component.type_name,
        config = ?component.config.to_value(),
        "prepared provisioner"
    );
    let p = crate::components::provisioner(&component)?;
    if let Some(pause) = &def.pause_before {
        let d = duration::parse_duration(pause).map_err(ConfigError::from)?;
        ctx.ui.say(format!(
            "Pausing {} before the next provisioner...",
            human_duration(d)
        ));
        tokio::select! {
            _ = tokio::time::sleep(d) => {}
            _ = ctx.cancel.cancelled() => return Err(BuildError::Cancelled),
        }
    }
    let timeout = match &def.timeout {
        Some(t) => Some(duration::parse_duration(t).map_err(ConfigError::from)?),
        None => None,
    };
    let mut attempt = 0;
    loop {
        tracing::debug!(
            provisioner = %def.component.type_name,
            attempt,
            "running provisioner"
        );
        let run = p.provision(ctx);
        let r = match timeout {
            Some(t) => tokio::time::timeout(t, run).await.unwrap_or_else(|_| {
                Err(BuildError::Step(format!(
                    "Provisioner {} timed out after {}",
                    def.component.type_name,
                    human_duration(t)
                )))
            }),
            None => run.await,
        };
        match r {
            Err(e) if attempt < def.max_retries && e != BuildError::Cancelled => {
                attempt += 1;
                ctx.ui.error(format!("{e}"));
                ctx.ui.say(format!(
                    "Provisioner failed, retrying ({attempt}/{})...",
                    def.max_retries
                ));
            }
            other => return other,
        }
    }
}

#[async_trait]
impl ProvisionHook for Hook<'_> {
    async fn provision(
        &self,
        communicator: Option<Arc<dyn Communicator>>,
        generated: GeneratedData,
    ) -> Result<(), BuildError> {
        let generated = self.env.complete(generated);
        {
            let mut st = self.state();
            st.generated = Some(generated.clone());
            st.communicator = communicator.clone();
        }
        let ctx = self.env.provision_ctx(communicator, generated);
        for (i, def) in self.provisioners.iter().enumerate() {
            let reevaluate = self.reevaluate.get(i).and_then(Option::as_ref);
            loop {
                match run_provisioner(def, reevaluate, &ctx).await {
                    Ok(()) => break,
                    Err(e) if e == BuildError::Cancelled => return Err(e),
                    Err(e) => {
                        tracing::info!(
                            provisioner = %def.component.type_name,
                            error = %self.env.ui.mask(&e.to_string()),
                            "provisioner failed"
                        );
                        let (OnError::Ask, Some(p)) = (self.env.on_error, self.env.prompter) else {
                            return Err(e);
                        };
                        ctx.ui.error(e.to_string());
                        match ask_on_error(p, ctx.ui, PROVISION_STEP).await {
                            AskAnswer::Retry => continue,
                            answer => {
                                self.state().decision = Some(answer);
                                return Err(e);
                            }
                        }
                    }
                }
            }
        }
        self.env.pause("after run of", PROVISION_STEP).await;
        Ok(())
    }
}
