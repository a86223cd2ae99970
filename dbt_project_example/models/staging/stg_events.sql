with source as (

    select * from {{ source('shop', 'events') }}

)

select *
from source
where event_type is not null
