"""Simplified Chinese for every message the graph shows a client, keyed by its English id.

The key is the English template exactly as the code writes it (`msg()` templates keep
their `{name}` placeholders, which the Chinese uses too). tests/i18n checks that every
message in the source has an entry here. Parameters that are identifiers a developer
types (field and type names such as `slotId`, `TicketOrder`) stay as they are.
"""

from __future__ import annotations

from typing import Final

ZH_CN: Final[dict[str, str]] = {
    # --- signing in and identity ---------------------------------------------------------------
    "Sign in to see this.": "请先登录。",
    "Sign in again.": "请重新登录。",
    "This account no longer exists.": "该账号已不存在。",
    "Wrong or expired code.": "验证码错误或已过期。",
    "Too many attempts; try again in {n} s.": "尝试次数过多，请 {n} 秒后再试。",
    "Sign-in is briefly unavailable; try again in {n} s.": "登录服务暂时不可用，请 {n} 秒后再试。",
    "Too many requests; try again in {n} s.": "请求过于频繁，请 {n} 秒后再试。",
    "Start again from the mini-program.": "请返回小程序重新操作。",
    "WeChat did not accept the code; try again.": "微信登录凭证无效，请重试。",
    "Confirm your phone number to finish signing in.": "请验证手机号以完成登录。",
    "Not a mainland mobile number: {reason}.": "手机号无效：{reason}。",
    "Not a valid ID number: {reason}.": "身份证号无效：{reason}。",
    "Give the name as on the ID card.": "请填写与身份证一致的姓名。",
    "The name and ID number were not confirmed.": "姓名与身份证号核验未通过。",
    "This ID number is already verified on another account.": (
        "该身份证号已在其他账号完成实名认证。"
    ),
    "Verify your real name first.": "请先完成实名认证。",
    "You can only see your own account.": "只能查看本人账号。",
    # reasons inside "Not a mainland mobile number: …" and "Not a valid ID number: …"
    "is empty": "不能为空",
    "must be 11 digits": "应为 11 位数字",
    "is not a mainland mobile number": "不是中国大陆手机号",
    "landline numbers cannot receive SMS; use a mobile number": (
        "固定电话无法接收短信，请使用手机号"
    ),
    "may contain only digits, spaces, hyphens and a +86 prefix": (
        "只能包含数字、空格、连字符和 +86 前缀"
    ),
    "15-digit numbers (issued before 1999) are not accepted; use the 18-digit number": (
        "不支持 15 位旧身份证号（1999 年前签发），请使用 18 位身份证号"
    ),
    "must be 18 characters": "应为 18 位",
    "must be 17 digits followed by a digit or X": "应为 17 位数字加 1 位数字或 X",
    "check digit does not match": "校验位不正确",
    "region code is not a Chinese province": "地区码不属于任何省份",
    "birth date is not a real date": "出生日期不存在",
    "birth date is before 1900": "出生日期早于 1900 年",
    "birth date is in the future": "出生日期晚于今天",
    # --- family ---------------------------------------------------------------------------------
    "At most {n} family members.": "家庭成员最多 {n} 位。",
    "This person is already in your family.": "此人已是您的家庭成员。",
    "That is your own ID number.": "这是您本人的身份证号。",
    "No such family member.": "未找到该家庭成员。",
    "This is not your family member.": "此人不是您的家庭成员。",
    "Not a family member ID.": "不是有效的家庭成员 ID。",
    "No such consent request.": "未找到该授权请求。",
    "Only a guardian, or someone this adult consented to, may see this.": (
        "只有监护人或经本人授权的家人才能查看。"
    ),
    "Only a guardian, or someone this adult consented to, may do this.": (
        "只有监护人或经本人授权的家人才能办理。"
    ),
    "You can only act for yourself and your family.": "只能为本人或家庭成员办理。",
    "patientId must be you or a family member.": "patientId 必须是您本人或家庭成员。",
    # --- hospitals, appointments, reports and bills ---------------------------------------------
    "No such hospital.": "未找到该医院。",
    "Not an id of a hospital object.": "不是有效的医院数据 ID。",
    "No such slot.": "未找到该号源。",
    "The slot's doctor is unknown here.": "未找到该号源对应的医生。",
    "No place left in this session.": "该时段已无余号。",
    "You already have an appointment with this doctor that day.": "您当天已预约过该医生。",
    "This key was used for a different booking.": "该幂等键已用于另一笔预约。",
    "No such appointment.": "未找到该预约。",
    "Unknown appointment status.": "未知的预约状态。",
    "Cancellation closed at 18:00 the day before.": "已过取消时间（就诊前一天 18:00）。",
    "date must be within the next {n} days": "日期须在今后 {n} 天之内",
    "No such report.": "未找到该报告。",
    "This report is not about you or a family member you may act for.": (
        "该报告不属于您本人或您可代办的家庭成员。"
    ),
    "No such bill.": "未找到该账单。",
    "This bill is already paid.": "该账单已缴费。",
    "The hospital cancelled this bill.": "医院已作废该账单。",
    "Payments are not available right now.": "暂时无法支付，请稍后再试。",
    # --- government services --------------------------------------------------------------------
    "No such service.": "未找到该事项。",
    "No such bundle.": "未找到该“一件事”套餐。",
    "The platform no longer offers this service.": "政务服务平台已不再提供该事项。",
    "Give exactly one of serviceId and bundleId.": "serviceId 和 bundleId 须且只能填写一个。",
    "No such application.": "未找到该办件。",
    "This is not your application.": "这不是您的办件。",
    "Required materials are missing.": "缺少必需的材料。",
    "This application is not waiting for materials.": "该办件当前无需补正材料。",
    "this service does not ask for such a material": "该事项不需要此材料",
    "this material accepts {types} files": "该材料只接受 {types} 文件",
    "only PDF, JPEG or PNG files": "只接受 PDF、JPEG 或 PNG 文件",
    "larger than 10 MB": "文件超过 10 MB",
    "the application exceeds 30 MB": "申请材料总大小超过 30 MB",
    "at most {n} files per application": "每个申请最多上传 {n} 个文件",
    # --- tourism and tickets --------------------------------------------------------------------
    "Not an Attraction id.": "不是有效的景点 ID。",
    "No attraction with this id.": "未找到该景点。",
    "Give 1 to {n} attraction ids.": "请提供 1 至 {n} 个景点 ID。",
    "near must be a WGS84 point (lat -90..90, lng -180..180)": (
        "near 须为 WGS84 坐标（纬度 -90..90，经度 -180..180）"
    ),
    "slotId must be a TicketSlot id.": "slotId 须为 TicketSlot 的 ID。",
    "slotId is not a slot of this attraction.": "slotId 不是该景点的场次。",
    "date must be from today to {n} days ahead.": "日期须在今天至 {n} 天后之间。",
    "Name at least one visitor.": "请至少添加一位游客。",
    "Each visitor may be named once.": "同一游客只能添加一次。",
    "Visitors must be you or your family members.": "游客须为您本人或家庭成员。",
    "At most {n} visitors per reservation.": "每笔预约最多 {n} 位游客。",
    "Not enough places left.": "余票不足。",
    "A visitor already holds a ticket for this attraction that day.": "有游客当天已预约过该景点。",
    "This slot is no longer offered.": "该场次已停止预约。",
    "This key was used for another reservation.": "该幂等键已用于另一笔预约。",
    "No such ticket order.": "未找到该门票订单。",
    "{field} must be a TicketOrder id.": "{field} 须为 TicketOrder 的 ID。",
    "Nothing to pay for this order.": "该订单无需支付。",
    "This order can no longer be cancelled.": "该订单已无法取消。",
    # --- notifications and search ---------------------------------------------------------------
    "No such notification.": "未找到该通知。",
    "Not a Notification id.": "不是有效的通知 ID。",
    "At most {n} ids at once.": "每次最多 {n} 个 ID。",
    "query is empty": "搜索内容不能为空",
    "query has no searchable characters": "搜索内容不含可检索的字符",
    "query is longer than {n}": "搜索内容超过 {n} 个字符",
    "first must be in 1..{n}": "first 须在 1 到 {n} 之间",
    # --- arguments shared by many fields --------------------------------------------------------
    "8 to 64 letters, digits or - _ . :": "须为 8 至 64 位字母、数字或 - _ . :",
    "Not a {type} id.": "不是有效的 {type} ID。",
    "first must be between 1 and {n}": "first 须在 1 到 {n} 之间",
    "after is not a cursor of this connection": "after 不是该列表的游标",
    "keyword is longer than {n}": "关键词超过 {n} 个字符",
    "keyword is longer than 50": "关键词超过 50 个字符",
    "keyword has no searchable characters": "关键词不含可检索的字符",
    "radiusKm needs near": "使用 radiusKm 时须同时提供 near",
    "radiusKm must be in (0, {max:g}]": "radiusKm 须大于 0 且不超过 {max:g}",
    "to is before from": "结束日期早于开始日期",
    "from…to spans more than {n} days": "日期范围超过 {n} 天",
    "not a valid global ID": "不是有效的全局 ID",
    "The operation costs {cost}; at most {max} is allowed.": (
        "该操作的复杂度为 {cost}，上限为 {max}。"
    ),
    # --- coded errors without a message of their own --------------------------------------------
    "Internal server error": "服务器内部错误，请稍后再试。",
    "A service this needs is unavailable right now; try again later.": (
        "相关服务暂时不可用，请稍后再试。"
    ),
    "A service this needs did not answer in time; try again later.": (
        "相关服务响应超时，请稍后再试。"
    ),
    "Not found.": "未找到相关内容。",
}
