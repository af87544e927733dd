//! The service domain's tables (migrations in `migrations/*/2026-12-07-000150_service`).

diesel::table! {
    tickets (org_id, id) {
        id -> Text,
        org_id -> Text,
        number -> BigInt,
        subject -> Text,
        description -> Nullable<Text>,
        status -> Text,
        priority -> Text,
        channel -> Text,
        requester_id -> Nullable<Text>,
        company_id -> Nullable<Text>,
        assignee_id -> Nullable<Text>,
        team_id -> Nullable<Text>,
        first_responded_at -> Nullable<Timestamp>,
        solved_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        reopened_count -> Integer,
        sla_policy_id -> Nullable<Text>,
        first_response_due_at -> Nullable<Timestamp>,
        resolution_due_at -> Nullable<Timestamp>,
        sla_paused_at -> Nullable<Timestamp>,
        sla_flags -> Integer,
        sla_next_check_at -> Nullable<Timestamp>,
        tags -> Text,
        external_ids -> Text,
        custom -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
        version -> BigInt,
    }
}

diesel::table! {
    ticket_comments (org_id, id) {
        id -> Text,
        org_id -> Text,
        ticket_id -> Text,
        body -> Text,
        visibility -> Text,
        author_type -> Text,
        author_id -> Text,
        via -> Text,
        mail_message_id -> Nullable<Text>,
        attachments -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ticket_messages (org_id, message_id) {
        org_id -> Text,
        message_id -> Text,
        ticket_id -> Text,
        comment_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    business_hours (org_id, id) {
        id -> Text,
        org_id -> Text,
        time_zone -> Text,
        week -> Text,
        holidays -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sla_policies (org_id, id) {
        id -> Text,
        org_id -> Text,
        name -> Text,
        position -> Integer,
        filter -> Nullable<Text>,
        first_response_minutes -> Nullable<Integer>,
        resolution_minutes -> Nullable<Integer>,
        clock -> Text,
        warn_before_minutes -> Integer,
        raise_priority -> Integer,
        escalation_team_id -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    ticket_routing (org_id, team_id) {
        org_id -> Text,
        team_id -> Text,
        method -> Text,
        last_user_id -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    kb_sites (org_id) {
        org_id -> Text,
        slug -> Text,
        name -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    kb_categories (org_id, id) {
        id -> Text,
        org_id -> Text,
        name -> Text,
        description -> Nullable<Text>,
        position -> Integer,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    kb_articles (org_id, id) {
        id -> Text,
        org_id -> Text,
        category_id -> Nullable<Text>,
        title -> Text,
        body -> Text,
        status -> Text,
        revision -> Integer,
        helpful_yes -> BigInt,
        helpful_no -> BigInt,
        published_at -> Nullable<Timestamp>,
        created_by -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    kb_article_revisions (org_id, article_id, revision) {
        org_id -> Text,
        article_id -> Text,
        revision -> Integer,
        title -> Text,
        body -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ticket_ratings (org_id, ticket_id) {
        org_id -> Text,
        ticket_id -> Text,
        contact_id -> Text,
        score -> Integer,
        comment -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    surveys (org_id, id) {
        id -> Text,
        org_id -> Text,
        kind -> Text,
        name -> Text,
        question -> Text,
        response_url -> Nullable<Text>,
        active -> Integer,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    survey_invitations (org_id, id) {
        id -> Text,
        org_id -> Text,
        survey_id -> Text,
        contact_id -> Text,
        ticket_id -> Nullable<Text>,
        mail_message_id -> Nullable<Text>,
        responded_at -> Nullable<Timestamp>,
        expires_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    survey_responses (org_id, id) {
        id -> Text,
        org_id -> Text,
        survey_id -> Text,
        invitation_id -> Text,
        contact_id -> Text,
        score -> Integer,
        comment -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    company_health (org_id, company_id) {
        org_id -> Text,
        company_id -> Text,
        score -> Nullable<Integer>,
        band -> Text,
        components -> Text,
        computed_at -> Timestamp,
    }
}

diesel::table! {
    health_settings (org_id, id) {
        id -> Text,
        org_id -> Text,
        weights -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    tickets,
    ticket_comments,
    ticket_messages,
    business_hours,
    sla_policies,
    ticket_routing,
    kb_sites,
    kb_categories,
    kb_articles,
    kb_article_revisions,
    ticket_ratings,
    surveys,
    survey_invitations,
    survey_responses,
    company_health,
    health_settings
);
