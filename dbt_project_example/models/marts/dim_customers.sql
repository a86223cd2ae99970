with customers as (

    select * from {{ ref('stg_customers') }}

),

countries as (

    select * from {{ ref('country_codes') }}

),

order_summary as (

    select
        customer_id,
        count(*) as lifetime_orders,
        sum(payment_total) as lifetime_revenue,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at
    from {{ ref('fct_orders') }}
    group by customer_id

),

activity as (

    select customer_id, max(activity_at) as last_activity_at
    from {{ ref('int_customer_activity') }}
    group by customer_id

)

select
    customers.customer_id,
    customers.email,
    customers.full_name,
    customers.country_code,
    countries.country_name,
    countries.region,
    customers.segment,
    customers.signup_date,
    cast(coalesce(order_summary.lifetime_orders, 0) as integer) as lifetime_orders,
    cast(coalesce(order_summary.lifetime_revenue, 0) as decimal(18, 2)) as lifetime_revenue,
    order_summary.first_order_at,
    order_summary.last_order_at,
    activity.last_activity_at
from customers
left join countries
    on customers.country_code = countries.country_code
left join order_summary
    on customers.customer_id = order_summary.customer_id
left join activity
    on customers.customer_id = activity.customer_id
