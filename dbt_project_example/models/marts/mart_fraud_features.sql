-- One row per payment attempt: the features the fraud model scores.
with payments as (

    select * from {{ ref('stg_payments') }}

),

orders as (

    select * from {{ ref('int_orders_enriched') }}

),

customers as (

    select customer_id, signup_date from {{ ref('stg_customers') }}

),

features as (

    select
        payments.payment_id,
        payments.order_id,
        orders.customer_id,
        payments.payment_method,
        payments.payment_status,
        payments.amount,
        payments.created_at,
        orders.channel,
        orders.customer_country,
        orders.risk_tier,
        orders.customer_order_seq,
        {{ dbt.datediff('customers.signup_date', 'cast(orders.ordered_at as date)', 'day') }} as account_age_days,
        count(*) over (
            partition by orders.customer_id
            order by payments.created_at
            range between interval '30 days' preceding and current row
        ) as payments_last_30d
    from payments
    inner join orders
        on payments.order_id = orders.order_id
    left join customers
        on orders.customer_id = customers.customer_id

)

select
    *,
    round(
        coalesce(case risk_tier when 'high' then 0.6 when 'medium' then 0.3 when 'low' then 0.1 end, 0.5)
        + case when payment_method = 'gift_card' then 0.2 else 0 end
        + case when account_age_days < 30 then 0.15 else 0 end
        + case when amount > 2000 then 0.1 else 0 end,
        2
    ) as fraud_score
from features
