with orders as (

    select * from {{ ref('stg_orders') }}

),

customers as (

    select customer_id, country_code, segment from {{ ref('stg_customers') }}

),

countries as (

    select country_code, region, risk_tier from {{ ref('country_codes') }}

)

select
    orders.order_id,
    orders.customer_id,
    orders.ordered_at,
    orders.order_status,
    orders.channel,
    customers.segment as customer_segment,
    customers.country_code as customer_country,
    countries.region as customer_region,
    countries.risk_tier,
    row_number() over (partition by orders.customer_id order by orders.ordered_at) as customer_order_seq
from orders
left join customers
    on orders.customer_id = customers.customer_id
left join countries
    on customers.country_code = countries.country_code
