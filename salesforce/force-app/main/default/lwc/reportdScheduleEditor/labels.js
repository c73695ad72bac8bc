// The component's custom labels (labels/CustomLabels.labels-meta.xml; German in
// translations/de.translation-meta.xml). Salesforce serves each in the user's
// language. The Jest tests replace this module with the labels read from
// those two files, so both languages are checked.

import sentence from '@salesforce/label/c.Reportd_Cron_Sentence';
import at from '@salesforce/label/c.Reportd_Cron_At';
import everyDay from '@salesforce/label/c.Reportd_Cron_Every_Day';
import everyMinute from '@salesforce/label/c.Reportd_Cron_Every_Minute';
import everyNMinutes from '@salesforce/label/c.Reportd_Cron_Every_N_Minutes';
import atMinute from '@salesforce/label/c.Reportd_Cron_At_Minute';
import atMinutes from '@salesforce/label/c.Reportd_Cron_At_Minutes';
import everyHourAtMinute from '@salesforce/label/c.Reportd_Cron_Every_Hour_At';
import everyNHoursAtMinute from '@salesforce/label/c.Reportd_Cron_Every_N_Hours_At';
import pastEveryHour from '@salesforce/label/c.Reportd_Cron_Of_Every_Hour';
import pastEveryNHours from '@salesforce/label/c.Reportd_Cron_Every_N_Hours';
import betweenHours from '@salesforce/label/c.Reportd_Cron_Between_Hours';
import pastHours from '@salesforce/label/c.Reportd_Cron_Past_Hours';
import everySecond from '@salesforce/label/c.Reportd_Cron_Every_Second';
import everyNSeconds from '@salesforce/label/c.Reportd_Cron_Every_N_Seconds';
import atSecond from '@salesforce/label/c.Reportd_Cron_At_Second';
import atSeconds from '@salesforce/label/c.Reportd_Cron_At_Seconds';
import secondThen from '@salesforce/label/c.Reportd_Cron_Second_Then';
import everyNDays from '@salesforce/label/c.Reportd_Cron_Every_N_Days';
import dayNumber from '@salesforce/label/c.Reportd_Cron_Day_Number';
import onDayOfMonth from '@salesforce/label/c.Reportd_Cron_On_Day_Of_Month';
import onDaysOfMonth from '@salesforce/label/c.Reportd_Cron_On_Days_Of_Month';
import range from '@salesforce/label/c.Reportd_Cron_Range';
import lastDay from '@salesforce/label/c.Reportd_Cron_Last_Day';
import daysBeforeLast from '@salesforce/label/c.Reportd_Cron_Days_Before_Last';
import nearestWeekday from '@salesforce/label/c.Reportd_Cron_Nearest_Weekday';
import lastWeekday from '@salesforce/label/c.Reportd_Cron_Last_Weekday';
import onDays from '@salesforce/label/c.Reportd_Cron_On_Days';
import onDayRange from '@salesforce/label/c.Reportd_Cron_On_Day_Range';
import ordinals from '@salesforce/label/c.Reportd_Cron_Ordinals';
import nthWeekdayOfMonth from '@salesforce/label/c.Reportd_Cron_Nth_Weekday';
import lastWeekdayOfMonth from '@salesforce/label/c.Reportd_Cron_Last_Of_Weekday';
import bothDays from '@salesforce/label/c.Reportd_Cron_Both_Days';
import monthRange from '@salesforce/label/c.Reportd_Cron_Month_Range';
import inMonths from '@salesforce/label/c.Reportd_Cron_In_Months';
import defaultZone from '@salesforce/label/c.Reportd_Cron_Default_Zone';
import cronRequired from '@salesforce/label/c.Reportd_Error_Cron_Required';
import cronCount from '@salesforce/label/c.Reportd_Error_Cron_Count';
import cronQuartz from '@salesforce/label/c.Reportd_Error_Cron_Quartz';
import cronMacro from '@salesforce/label/c.Reportd_Error_Cron_Macro';
import cronField from '@salesforce/label/c.Reportd_Error_Cron_Field';
import cronFieldNames from '@salesforce/label/c.Reportd_Cron_Field_Names';
import badRecipient from '@salesforce/label/c.Reportd_Error_Bad_Recipient';
import recipientsRequired from '@salesforce/label/c.Reportd_Error_Recipients_Required';
import formatsRequired from '@salesforce/label/c.Reportd_Error_Formats_Required';
import queryRequired from '@salesforce/label/c.Reportd_Error_Query_Required';
import reportIdRequired from '@salesforce/label/c.Reportd_Error_Report_Id_Required';
import nameRequired from '@salesforce/label/c.Reportd_Error_Name_Required';
import title from '@salesforce/label/c.Reportd_Editor_Title';
import newTitle from '@salesforce/label/c.Reportd_Editor_New_Title';
import name from '@salesforce/label/c.Reportd_Field_Name';
import active from '@salesforce/label/c.Reportd_Field_Active';
import whenSection from '@salesforce/label/c.Reportd_Section_When';
import sourceSection from '@salesforce/label/c.Reportd_Section_Source';
import sourceType from '@salesforce/label/c.Reportd_Field_Source_Type';
import query from '@salesforce/label/c.Reportd_Field_Query';
import reportId from '@salesforce/label/c.Reportd_Field_Report_Id';
import deliverySection from '@salesforce/label/c.Reportd_Section_Delivery';
import statusSection from '@salesforce/label/c.Reportd_Section_Status';
import repeat from '@salesforce/label/c.Reportd_Field_Repeat';
import presetDaily from '@salesforce/label/c.Reportd_Preset_Daily';
import presetWeekly from '@salesforce/label/c.Reportd_Preset_Weekly';
import presetMonthly from '@salesforce/label/c.Reportd_Preset_Monthly';
import presetHours from '@salesforce/label/c.Reportd_Preset_Hours';
import presetCustom from '@salesforce/label/c.Reportd_Preset_Custom';
import time from '@salesforce/label/c.Reportd_Field_Time';
import weekday from '@salesforce/label/c.Reportd_Field_Weekday';
import monthDay from '@salesforce/label/c.Reportd_Field_Month_Day';
import lastDayOption from '@salesforce/label/c.Reportd_Option_Last_Day';
import everyHours from '@salesforce/label/c.Reportd_Field_Every_Hours';
import cron from '@salesforce/label/c.Reportd_Field_Cron';
import cronHelp from '@salesforce/label/c.Reportd_Help_Cron';
import timeZone from '@salesforce/label/c.Reportd_Field_Time_Zone';
import formats from '@salesforce/label/c.Reportd_Field_Formats';
import recipients from '@salesforce/label/c.Reportd_Field_Recipients';
import recipientsHelp from '@salesforce/label/c.Reportd_Help_Recipients';
import burst from '@salesforce/label/c.Reportd_Field_Burst';
import burstHelp from '@salesforce/label/c.Reportd_Help_Burst';
import save from '@salesforce/label/c.Reportd_Button_Save';
import cancel from '@salesforce/label/c.Reportd_Button_Cancel';
import saved from '@salesforce/label/c.Reportd_Toast_Saved';
import lastStatus from '@salesforce/label/c.Reportd_Field_Last_Status';
import lastRun from '@salesforce/label/c.Reportd_Field_Last_Run';
import lastRowCount from '@salesforce/label/c.Reportd_Field_Last_Row_Count';
import lastError from '@salesforce/label/c.Reportd_Field_Last_Error';
import nextFires from '@salesforce/label/c.Reportd_Field_Next_Fires';
import noNextFires from '@salesforce/label/c.Reportd_Status_No_Next_Fires';
import never from '@salesforce/label/c.Reportd_Status_Never';
import changedNote from '@salesforce/label/c.Reportd_Status_Changed_Note';
import statusNote from '@salesforce/label/c.Reportd_Status_Note';

export default {
    sentence,
    at,
    everyDay,
    everyMinute,
    everyNMinutes,
    atMinute,
    atMinutes,
    everyHourAtMinute,
    everyNHoursAtMinute,
    pastEveryHour,
    pastEveryNHours,
    betweenHours,
    pastHours,
    everySecond,
    everyNSeconds,
    atSecond,
    atSeconds,
    secondThen,
    everyNDays,
    dayNumber,
    onDayOfMonth,
    onDaysOfMonth,
    range,
    lastDay,
    daysBeforeLast,
    nearestWeekday,
    lastWeekday,
    onDays,
    onDayRange,
    ordinals,
    nthWeekdayOfMonth,
    lastWeekdayOfMonth,
    bothDays,
    monthRange,
    inMonths,
    defaultZone,
    cronRequired,
    cronCount,
    cronQuartz,
    cronMacro,
    cronField,
    cronFieldNames,
    badRecipient,
    recipientsRequired,
    formatsRequired,
    queryRequired,
    reportIdRequired,
    nameRequired,
    title,
    newTitle,
    name,
    active,
    whenSection,
    sourceSection,
    sourceType,
    query,
    reportId,
    deliverySection,
    statusSection,
    repeat,
    presetDaily,
    presetWeekly,
    presetMonthly,
    presetHours,
    presetCustom,
    time,
    weekday,
    monthDay,
    lastDayOption,
    everyHours,
    cron,
    cronHelp,
    timeZone,
    formats,
    recipients,
    recipientsHelp,
    burst,
    burstHelp,
    save,
    cancel,
    saved,
    lastStatus,
    lastRun,
    lastRowCount,
    lastError,
    nextFires,
    noNextFires,
    never,
    changedNote,
    statusNote
};
