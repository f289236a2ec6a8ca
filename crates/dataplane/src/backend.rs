//! Choosing a backend: nftables (Tortie's own table) or iptables (Felix's layout, in the
//! nf_tables or legacy variant), each retiring the other's rules once its own are in force.

use crate::{
    Dataplane, DataplaneError, IptablesProgrammer, NftCli, Programmer, Retiring, Variant,
    XtablesCli, retire_iptables, retire_nft,
};

/// Which backend programs the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// nftables: one `inet tortie` table.
    Nftables,
    /// iptables and ipset; `None` detects the variant (Felix's `iptablesBackend: Auto`).
    Iptables(Option<Variant>),
}

impl<D: Dataplane + ?Sized> Dataplane for Box<D> {
    fn program(
        &mut self,
        desired: tortie_rules::Ruleset,
    ) -> Result<crate::Programmed, DataplaneError> {
        (**self).program(desired)
    }

    fn check_and_repair(&mut self) -> Result<Vec<crate::Drift>, DataplaneError> {
        (**self).check_and_repair()
    }

    fn forget(&mut self) {
        (**self).forget();
    }
}

/// The backend's programmer for a network namespace (`None`: the current one), and the
/// iptables variant it uses, if any.
#[must_use]
pub fn open(backend: Backend, netns: Option<&str>) -> (Box<dyn Dataplane + Send>, Option<Variant>) {
    let ns = netns.map(String::from);
    let nft = || match &ns {
        Some(n) => NftCli::in_netns(n),
        None => NftCli::default(),
    };
    match backend {
        Backend::Nftables => {
            let ns2 = ns.clone();
            let retire = Box::new(move || {
                let mut any = false;
                for v in [Variant::Nft, Variant::Legacy] {
                    any |= retire_iptables(
                        &mut XtablesCli::new(v, ns2.as_deref()),
                        v == Variant::Legacy,
                    )?;
                }
                Ok(any)
            });
            (
                Box::new(Retiring::new(Programmer::new(nft()), retire)),
                None,
            )
        }
        Backend::Iptables(variant) => {
            let variant = variant.unwrap_or_else(|| XtablesCli::detect(netns));
            let mut old_nft = nft();
            let ns2 = ns.clone();
            let retire = Box::new(move || {
                let a = retire_nft(&mut old_nft)?;
                let b =
                    retire_iptables(&mut XtablesCli::new(variant.other(), ns2.as_deref()), false)?;
                Ok(a || b)
            });
            let programmer = IptablesProgrammer::new(XtablesCli::new(variant, netns));
            (Box::new(Retiring::new(programmer, retire)), Some(variant))
        }
    }
}
