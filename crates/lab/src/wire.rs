//! Executes a [`Plan`]: phase by phase, the steps of one phase in parallel (they touch
//! different namespaces), stopping at the first failing phase.

use crate::cmd;
use crate::error::LabError;
use crate::netns;
use crate::plan::{Plan, Step};

/// Upper bound on concurrently running `ip` processes / sysctl threads.
const PARALLEL: usize = 16;

pub(crate) fn apply(plan: &Plan) -> Result<(), LabError> {
    for phase in &plan.phases {
        for chunk in phase.chunks(PARALLEL) {
            run_parallel(chunk)?;
        }
    }
    Ok(())
}

fn run_parallel(steps: &[Step]) -> Result<(), LabError> {
    std::thread::scope(|s| {
        let handles: Vec<_> = steps
            .iter()
            .map(|st| s.spawn(move || apply_step(st)))
            .collect();
        let mut first = None;
        for h in handles {
            match h.join() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    first.get_or_insert(e);
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        first.map_or(Ok(()), Err)
    })
}

fn apply_step(step: &Step) -> Result<(), LabError> {
    match step {
        Step::Ip { ns, cmds } => cmd::ip_batch(ns, cmds),
        Step::Sysctl { ns, settings } => netns::write_sysctls(ns, settings),
    }
}
