//! The policy model the engine commands read: every object of the configured datastore, or the
//! manifests under `-f PATH` alone (offline review, no datastore).

use std::io::Write;

use tortie_calc::Model;
use tortie_eval::Peer;
use tortie_eval::endpoint_arg::EndpointArgError;

use super::common::{Failure, load_checked, open};
use crate::cli::{Source, Target};

/// Builds the model from `-f` (if given) or the datastore.
pub fn load(source: &Source, target: &Target, err: &mut dyn Write) -> Result<Model, Failure> {
    if source.filename.is_some() {
        let resources = load_checked(source, err, "nothing was evaluated")?;
        return Ok(Model::from_manifests(resources));
    }
    let listed = open(target)?.list_acted_on()?;
    Ok(Model::from_resources(&listed.items))
}

/// Parses an endpoint argument (see [`tortie_eval::endpoint_arg`]).
pub fn peer(model: &Model, text: &str) -> Result<Peer, Failure> {
    tortie_eval::endpoint_arg::parse(model, text).map_err(|e| match e {
        EndpointArgError::Syntax(m) => Failure::usage(m),
        EndpointArgError::Unknown(m) => Failure::resource(m),
    })
}
