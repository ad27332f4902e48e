use super::*;

fn checkpoint(key: &SigningKey, size: u64, root: u8) -> Checkpoint {
    let cell = fusioncell_wire::CellId::new("c").unwrap();
    let root = Digest([root; 32]);
    let sig = SignatureBytes(key.sign(&canonical::checkpoint_bytes(&cell, size, &root, 0)));
    Checkpoint {
        cell,
        size,
        root,
        ts: 0,
        sig,
    }
}

#[test]
fn forks_rollbacks_and_forged_checkpoints_are_caught() {
    let relay = SigningKey::from_seed([1; 32]);
    let key = PublicKeyBytes(*relay.public_key().bytes());
    let first = checkpoint(&relay, 10, 1);
    assert_eq!(checkpoint_problem(&key, None, &first), None);
    assert_eq!(
        checkpoint_problem(&key, Some(&first), &checkpoint(&relay, 12, 2)),
        None
    );
    let fork = checkpoint_problem(&key, Some(&first), &checkpoint(&relay, 10, 9)).unwrap();
    assert!(fork.starts_with("fork"), "{fork}");
    let back = checkpoint_problem(&key, Some(&first), &checkpoint(&relay, 9, 1)).unwrap();
    assert!(back.starts_with("rollback"), "{back}");
    let forged = checkpoint(&SigningKey::from_seed([2; 32]), 11, 1);
    assert!(checkpoint_problem(&key, Some(&first), &forged).is_some());
}

#[test]
fn which_closes_are_retried() {
    for code in [1001, 1006, 1011, 1013, 4009, 1008] {
        assert!(super::retryable(code), "{code}");
    }
    for code in [1000, 4000, 4001, 4003, 4008, 4010, 1009, 1002] {
        assert!(!super::retryable(code), "{code}");
    }
}
