with orders as (

    select * from {{ ref('int_orders_enriched') }}

),

order_lines as (

    select
        order_id,
        count(*) as item_count,
        sum(line_amount) as order_total
    from {{ ref('int_order_items_enriched') }}
    group by order_id

),

order_payments as (

    select
        order_id,
        sum(amount) as payment_total,
        max(payment_method) as payment_method
    from {{ ref('int_successful_payments') }}
    group by order_id

)

select
    orders.order_id,
    orders.customer_id,
    orders.ordered_at,
    orders.order_status,
    orders.channel,
    orders.customer_country,
    orders.customer_region,
    coalesce(order_lines.item_count, 0) as item_count,
    coalesce(order_lines.order_total, 0) as order_total,
    coalesce(order_payments.payment_total, 0) as payment_total,
    order_payments.payment_method,
    case
        when order_payments.payment_total is null then 'unpaid'
        when order_payments.payment_total >= order_lines.order_total then 'paid'
        else 'partially_paid'
    end as payment_state
from orders
left join order_lines
    on orders.order_id = order_lines.order_id
left join order_payments
    on orders.order_id = order_payments.order_id
