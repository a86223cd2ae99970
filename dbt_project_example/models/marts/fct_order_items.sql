select * from {{ ref('int_order_items_enriched') }}
