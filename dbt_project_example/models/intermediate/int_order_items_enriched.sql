-- Order lines priced from the current catalogue. Lines of discontinued products (no longer in the
-- catalogue) are left out on purpose: they are reported by finance separately.
with items as (

    select * from {{ ref('stg_order_items') }}

),

products as (

    select product_id, category, unit_price
    from {{ ref('stg_products') }}

)

select
    items.order_item_id,
    items.order_id,
    items.product_id,
    items.quantity,
    products.category,
    products.unit_price,
    items.quantity * products.unit_price as line_amount
from items
inner join products
    on items.product_id = products.product_id
