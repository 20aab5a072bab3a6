//! Every OS thread of the process, with its name and the role it plays: the census lives
//! in `async-lab-runtime` (a book program's thread report needs it too), re-exported here.

pub use async_lab_runtime::census::*;
