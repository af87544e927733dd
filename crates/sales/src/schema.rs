//! The sales domain's tables (migrations in `migrations/*/2026-12-07-000120_sales`).

diesel::table! {
    pipelines (org_id, id) {
        id -> Text,
        org_id -> Text,
        name -> Text,
        position -> Integer,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    pipeline_stages (org_id, id) {
        id -> Text,
        org_id -> Text,
        pipeline_id -> Text,
        name -> Text,
        position -> Integer,
        probability -> Integer,
        kind -> Text,
    }
}

diesel::table! {
    deals (org_id, id) {
        id -> Text,
        org_id -> Text,
        name -> Text,
        sort_name -> Text,
        amount -> Nullable<BigInt>,
        currency -> Nullable<Text>,
        close_date -> Nullable<Text>,
        pipeline_id -> Text,
        stage_id -> Text,
        status -> Text,
        owner_id -> Nullable<Text>,
        company_id -> Nullable<Text>,
        source -> Nullable<Text>,
        lost_reason -> Nullable<Text>,
        next_step -> Nullable<Text>,
        forecast_category -> Text,
        stage_entered_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
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
    deal_contacts (org_id, deal_id, contact_id) {
        org_id -> Text,
        deal_id -> Text,
        contact_id -> Text,
        role -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    deal_stage_history (org_id, id) {
        id -> Text,
        org_id -> Text,
        deal_id -> Text,
        pipeline_id -> Text,
        stage_id -> Text,
        entered_at -> Timestamp,
        exited_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    leads (org_id, id) {
        id -> Text,
        org_id -> Text,
        first_name -> Nullable<Text>,
        last_name -> Nullable<Text>,
        sort_name -> Text,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        job_title -> Nullable<Text>,
        company_name -> Nullable<Text>,
        company_domain -> Nullable<Text>,
        industry -> Nullable<Text>,
        employee_count -> Nullable<BigInt>,
        country -> Nullable<Text>,
        source -> Nullable<Text>,
        status -> Text,
        disqualified_reason -> Nullable<Text>,
        budget_amount -> Nullable<BigInt>,
        budget_currency -> Nullable<Text>,
        authority -> Nullable<Text>,
        need -> Nullable<Text>,
        timeline -> Nullable<Text>,
        owner_id -> Nullable<Text>,
        score -> Integer,
        converted_at -> Nullable<Timestamp>,
        converted_to -> Nullable<Text>,
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
    products (org_id, id) {
        id -> Text,
        org_id -> Text,
        sku -> Text,
        name -> Text,
        description -> Nullable<Text>,
        active -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    product_prices (org_id, product_id, currency) {
        org_id -> Text,
        product_id -> Text,
        currency -> Text,
        unit_price -> BigInt,
    }
}

diesel::table! {
    price_books (org_id, id) {
        id -> Text,
        org_id -> Text,
        name -> Text,
        description -> Nullable<Text>,
        active -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    price_book_entries (org_id, price_book_id, product_id, currency) {
        org_id -> Text,
        price_book_id -> Text,
        product_id -> Text,
        currency -> Text,
        unit_price -> BigInt,
    }
}

diesel::table! {
    quotes (org_id, id) {
        id -> Text,
        org_id -> Text,
        number -> Text,
        deal_id -> Text,
        contact_id -> Nullable<Text>,
        company_id -> Nullable<Text>,
        price_book_id -> Nullable<Text>,
        currency -> Text,
        status -> Text,
        valid_until -> Text,
        notes -> Nullable<Text>,
        rejection_reason -> Nullable<Text>,
        order_id -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
        decided_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    orders (org_id, id) {
        id -> Text,
        org_id -> Text,
        number -> Text,
        quote_id -> Nullable<Text>,
        deal_id -> Nullable<Text>,
        contact_id -> Nullable<Text>,
        company_id -> Nullable<Text>,
        currency -> Text,
        status -> Text,
        placed_at -> Timestamp,
        external_ids -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    line_items (org_id, record_type, record_id, position) {
        org_id -> Text,
        record_type -> Text,
        record_id -> Text,
        position -> Integer,
        product_id -> Nullable<Text>,
        sku -> Nullable<Text>,
        description -> Text,
        quantity_milli -> BigInt,
        unit_price -> BigInt,
        discount_bp -> Integer,
        tax_bp -> Integer,
        subtotal -> BigInt,
        discount -> BigInt,
        tax -> BigInt,
        total -> BigInt,
    }
}

diesel::table! {
    currency_settings (org_id, id) {
        id -> Text,
        org_id -> Text,
        base_currency -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    currency_rates (org_id, currency) {
        org_id -> Text,
        currency -> Text,
        rate -> BigInt,
    }
}

diesel::table! {
    quotas (org_id, id) {
        id -> Text,
        org_id -> Text,
        user_id -> Text,
        period -> Text,
        amount -> BigInt,
        currency -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    lead_scoring_rules (org_id, id) {
        id -> Text,
        org_id -> Text,
        name -> Text,
        kind -> Text,
        filter -> Nullable<Text>,
        activity_kind -> Nullable<Text>,
        window_days -> Nullable<Integer>,
        min_count -> Nullable<Integer>,
        points -> Integer,
        decay_days -> Nullable<Integer>,
        active -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    assignment_rules (org_id, id) {
        id -> Text,
        org_id -> Text,
        name -> Text,
        method -> Text,
        team_id -> Text,
        filter -> Nullable<Text>,
        priority -> Integer,
        active -> Bool,
        last_user_id -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    territories (org_id, id) {
        id -> Text,
        org_id -> Text,
        name -> Text,
        countries -> Text,
        regions -> Text,
        industries -> Text,
        min_employees -> Nullable<BigInt>,
        max_employees -> Nullable<BigInt>,
        owner_id -> Nullable<Text>,
        priority -> Integer,
        active -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    company_territories (org_id, company_id) {
        org_id -> Text,
        company_id -> Text,
        territory_id -> Text,
        owner_id -> Nullable<Text>,
        assigned_at -> Timestamp,
    }
}

diesel::table! {
    deal_totals (org_id, pipeline_id, stage_id, owner_id, status, forecast_category, currency, close_month) {
        org_id -> Text,
        pipeline_id -> Text,
        stage_id -> Text,
        owner_id -> Text,
        status -> Text,
        forecast_category -> Text,
        currency -> Text,
        close_month -> Text,
        deals -> BigInt,
        amount -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    pipelines,
    pipeline_stages,
    deals,
    deal_contacts,
    deal_stage_history,
    leads,
    products,
    product_prices,
    price_books,
    price_book_entries,
    quotes,
    orders,
    line_items,
    currency_settings,
    currency_rates,
    quotas,
    lead_scoring_rules,
    assignment_rules,
    territories,
    company_territories,
    deal_totals,
);
