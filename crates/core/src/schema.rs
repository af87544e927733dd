//! The one diesel schema of every table, written by hand to match `migrations/`.

diesel::table! {
    organizations (id) {
        id -> Text,
        name -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
        phone_region -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        org_id -> Text,
        email -> Text,
        name -> Text,
        role -> Text,
        status -> Text,
        password_hash -> Nullable<Text>,
        invitation_hash -> Nullable<Text>,
        last_login_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        org_id -> Text,
        user_id -> Text,
        name -> Text,
        key_prefix -> Text,
        key_hash -> Text,
        role -> Text,
        scopes -> Text,
        last_used_at -> Nullable<Timestamp>,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        org_id -> Text,
        user_id -> Text,
        family_id -> Text,
        token_hash -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        org_id -> Text,
        actor_type -> Text,
        actor_id -> Text,
        action -> Text,
        resource_type -> Text,
        resource_id -> Text,
        changes -> Text,
        request_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    events (id) {
        id -> Text,
        org_id -> Text,
        seq -> Nullable<BigInt>,
        #[sql_name = "type"]
        event_type -> Text,
        actor_type -> Text,
        actor_id -> Text,
        data -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    event_horizons (org_id) {
        org_id -> Text,
        pruned_through -> BigInt,
    }
}

diesel::table! {
    idempotency_keys (org_id, principal_id, key) {
        org_id -> Text,
        principal_id -> Text,
        key -> Text,
        request_hash -> Text,
        response_status -> Nullable<Integer>,
        response_body -> Nullable<Text>,
        response_headers -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    record_tags (org_id, record_type, record_id, tag) {
        org_id -> Text,
        record_type -> Text,
        record_id -> Text,
        tag -> Text,
    }
}

diesel::table! {
    external_ids (org_id, record_type, source, external_id) {
        org_id -> Text,
        record_type -> Text,
        source -> Text,
        external_id -> Text,
        record_id -> Text,
    }
}

diesel::table! {
    contacts (id) {
        id -> Text,
        org_id -> Text,
        first_name -> Nullable<Text>,
        last_name -> Nullable<Text>,
        sort_name -> Text,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        emails -> Text,
        phones -> Text,
        addresses -> Text,
        job_title -> Nullable<Text>,
        lifecycle_stage -> Text,
        lead_source -> Nullable<Text>,
        owner_id -> Nullable<Text>,
        tags -> Text,
        external_ids -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
        version -> BigInt,
        custom -> Text,
        merged_into -> Nullable<Text>,
    }
}

diesel::table! {
    contact_emails (org_id, email) {
        org_id -> Text,
        email -> Text,
        contact_id -> Text,
    }
}

diesel::table! {
    companies (id) {
        id -> Text,
        org_id -> Text,
        name -> Text,
        sort_name -> Text,
        domain -> Nullable<Text>,
        industry -> Nullable<Text>,
        employee_count -> Nullable<BigInt>,
        annual_revenue_amount -> Nullable<BigInt>,
        annual_revenue_currency -> Nullable<Text>,
        addresses -> Text,
        parent_id -> Nullable<Text>,
        owner_id -> Nullable<Text>,
        tags -> Text,
        external_ids -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
        version -> BigInt,
        custom -> Text,
    }
}

diesel::table! {
    contact_companies (org_id, contact_id, company_id) {
        org_id -> Text,
        contact_id -> Text,
        company_id -> Text,
        role -> Nullable<Text>,
        is_primary -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    activities (id) {
        id -> Text,
        org_id -> Text,
        kind -> Text,
        subject -> Nullable<Text>,
        body -> Nullable<Text>,
        occurred_at -> Timestamp,
        due_at -> Nullable<Timestamp>,
        status -> Nullable<Text>,
        assignee_id -> Nullable<Text>,
        direction -> Nullable<Text>,
        duration_seconds -> Nullable<BigInt>,
        outcome -> Nullable<Text>,
        starts_at -> Nullable<Timestamp>,
        ends_at -> Nullable<Timestamp>,
        attendees -> Text,
        message_id -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
        version -> BigInt,
    }
}

diesel::table! {
    activity_links (org_id, activity_id, record_type, record_id) {
        org_id -> Text,
        activity_id -> Text,
        record_type -> Text,
        record_id -> Text,
    }
}

diesel::table! {
    contact_consents (org_id, contact_id, channel) {
        org_id -> Text,
        contact_id -> Text,
        channel -> Text,
        status -> Text,
        lawful_basis -> Nullable<Text>,
        source -> Nullable<Text>,
        recorded_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    subscription_types (id) {
        id -> Text,
        org_id -> Text,
        name -> Text,
        description -> Nullable<Text>,
        channel -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    contact_subscriptions (org_id, contact_id, subscription_type_id) {
        org_id -> Text,
        contact_id -> Text,
        subscription_type_id -> Text,
        status -> Text,
        source -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    email_suppressions (id) {
        id -> Text,
        org_id -> Text,
        email -> Text,
        reason -> Text,
        source -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    erased_emails (org_id, email_hash) {
        org_id -> Text,
        email_hash -> Text,
        erased_at -> Timestamp,
    }
}

diesel::table! {
    contact_erasures (org_id, contact_id) {
        org_id -> Text,
        contact_id -> Text,
        actor_type -> Text,
        actor_id -> Text,
        erased_at -> Timestamp,
    }
}

diesel::joinable!(users -> organizations (org_id));
diesel::joinable!(api_keys -> users (user_id));

diesel::table! {
    custom_field_definitions (id) {
        id -> Text,
        org_id -> Text,
        record_type -> Text,
        key -> Text,
        label -> Text,
        description -> Nullable<Text>,
        field_type -> Text,
        required -> Bool,
        min_value -> Nullable<Double>,
        max_value -> Nullable<Double>,
        pattern -> Nullable<Text>,
        options -> Text,
        archived_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    /// No primary key in the database (a multi-select has a row per option); diesel wants one.
    custom_field_values (record_id, field_key) {
        org_id -> Text,
        record_type -> Text,
        record_id -> Text,
        field_key -> Text,
        text_value -> Nullable<Text>,
        number_value -> Nullable<Double>,
    }
}

diesel::table! {
    number_sequences (org_id, name) {
        org_id -> Text,
        name -> Text,
        last -> BigInt,
    }
}

diesel::table! {
    rate_limit_counters (key, window_start) {
        key -> Text,
        window_start -> BigInt,
        used -> BigInt,
    }
}

diesel::table! {
    search_terms (org_id, record_id, term) {
        org_id -> Text,
        record_id -> Text,
        term -> Text,
        record_type -> Text,
        rank -> BigInt,
        title -> Text,
        subtitle -> Nullable<Text>,
        owner_id -> Nullable<Text>,
    }
}

diesel::table! {
    jobs (id) {
        id -> Text,
        org_id -> Text,
        kind -> Text,
        status -> Text,
        payload -> Text,
        progress -> Text,
        actor -> Text,
        attempts -> Integer,
        max_attempts -> Integer,
        run_after -> Timestamp,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        started_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    files (id) {
        id -> Text,
        org_id -> Text,
        purpose -> Text,
        filename -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        chunk_count -> Integer,
        status -> Text,
        created_at -> Timestamp,
        completed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    file_chunks (org_id, file_id, seq) {
        org_id -> Text,
        file_id -> Text,
        seq -> Integer,
        data -> Binary,
    }
}

diesel::table! {
    import_rows (org_id, job_id, row_number) {
        org_id -> Text,
        job_id -> Text,
        row_number -> BigInt,
        outcome -> Text,
        contact_id -> Nullable<Text>,
        before -> Nullable<Text>,
        reason -> Nullable<Text>,
        raw -> Nullable<Text>,
    }
}

diesel::table! {
    job_schedules (kind) {
        kind -> Text,
        next_run_at -> Timestamp,
    }
}

diesel::table! {
    teams (id) {
        id -> Text,
        org_id -> Text,
        name -> Text,
        description -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    team_members (org_id, team_id, user_id) {
        org_id -> Text,
        team_id -> Text,
        user_id -> Text,
    }
}

diesel::table! {
    record_visibility (org_id, role, record_type) {
        org_id -> Text,
        role -> Text,
        record_type -> Text,
        visibility -> Text,
    }
}

diesel::table! {
    mail_messages (org_id, id) {
        id -> Text,
        org_id -> Text,
        message_id -> Text,
        from_address -> Text,
        to_addresses -> Text,
        subject -> Text,
        text_body -> Text,
        html_body -> Nullable<Text>,
        in_reply_to -> Nullable<Text>,
        reference_ids -> Text,
        record_type -> Nullable<Text>,
        record_id -> Nullable<Text>,
        status -> Text,
        attempts -> Integer,
        provider_id -> Nullable<Text>,
        error -> Nullable<Text>,
        job_id -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    customer_tokens (org_id, id) {
        id -> Text,
        org_id -> Text,
        contact_id -> Text,
        token_hash -> Text,
        purpose -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    teams,
    team_members,
    record_visibility,
    jobs,
    job_schedules,
    files,
    file_chunks,
    import_rows,
    search_terms,
    rate_limit_counters,
    custom_field_definitions,
    custom_field_values,
    organizations,
    users,
    api_keys,
    refresh_tokens,
    audit_log,
    events,
    idempotency_keys,
    record_tags,
    external_ids,
    contacts,
    contact_emails,
    companies,
    contact_companies,
    activities,
    activity_links,
    contact_consents,
    subscription_types,
    contact_subscriptions,
    email_suppressions,
    erased_emails,
    contact_erasures,
    mail_messages,
    customer_tokens,
);
